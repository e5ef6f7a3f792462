// Class names shared by server and client components (a "use client" module
// cannot export plain functions to server components).
export const inputClass =
  "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-1 focus:ring-sky-500 disabled:bg-slate-100";

/** Named classes (app/globals.css): buttons repeat on every row of a list. */
export function buttonClass(variant: "primary" | "secondary" | "danger" = "primary"): string {
  return `btn btn-${variant}`;
}
