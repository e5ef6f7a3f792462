"use client";
import { signOut } from "next-auth/react";
import { Badge } from "@/components/ui/badge";

export function UserMenu({ email, role }: { email: string; role: string }) {
  return (
    <div className="flex items-center gap-3 text-sm">
      <span className="text-slate-600" data-testid="current-user">{email}</span>
      <Badge tone={role === "admin" ? "blue" : "gray"}>{role}</Badge>
      <button type="button" onClick={() => signOut({ callbackUrl: "/login" })} className="text-slate-500 underline hover:text-slate-800">
        Sign out
      </button>
    </div>
  );
}
