// Class names shared by server and client components (a "use client" module
// cannot export plain functions to server components).
export const inputClass =
  "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-1 focus:ring-sky-500 disabled:bg-slate-100";

export function buttonClass(variant: "primary" | "secondary" | "danger" = "primary"): string {
  const base = "inline-flex items-center justify-center rounded-md px-3 py-1.5 text-sm font-medium shadow-sm disabled:cursor-not-allowed disabled:opacity-60";
  if (variant === "danger") return `${base} bg-rose-600 text-white hover:bg-rose-700`;
  if (variant === "secondary") return `${base} border border-slate-300 bg-white text-slate-700 hover:bg-slate-50`;
  return `${base} bg-sky-600 text-white hover:bg-sky-700`;
}
