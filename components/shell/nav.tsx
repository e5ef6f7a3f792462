"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

export const NAV_ITEMS = [
  { href: "/", label: "Dashboard" },
  { href: "/instances", label: "Instances" },
  { href: "/proxies", label: "Proxies" },
  { href: "/dns", label: "DNS" },
  { href: "/settings", label: "Settings" },
  { href: "/activity", label: "Activity" },
] as const;

export function Nav({ compact = false }: { compact?: boolean }) {
  const path = usePathname();
  const active = (href: string) => (href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`));
  return (
    <nav aria-label="Main" className={compact ? "flex flex-wrap gap-2 text-sm" : "flex flex-col gap-0.5 px-3"}>
      {NAV_ITEMS.map((item) => (
        <Link
          key={item.href}
          href={item.href}
          aria-current={active(item.href) ? "page" : undefined}
          className={`rounded-md px-3 py-2 text-sm font-medium ${active(item.href) ? "bg-sky-50 text-sky-800" : "text-slate-600 hover:bg-slate-50 hover:text-slate-900"}`}
        >
          {item.label}
        </Link>
      ))}
    </nav>
  );
}
