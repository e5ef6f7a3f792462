"use client";
import { useState, useTransition } from "react";
import { buttonClass } from "@/components/ui/form";
import { testConnectionAction } from "./actions";

/** "Test connection": runs against the values in the enclosing form, saved or not. */
export function ConnectionTest({ target, formId, disabled }: { target: "dns" | "proxy"; formId: string; disabled?: boolean }) {
  const [pending, start] = useTransition();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-3">
      <button
        type="button"
        className={buttonClass("secondary")}
        disabled={pending || disabled}
        onClick={() =>
          start(async () => {
            const form = document.getElementById(formId) as HTMLFormElement;
            const res = await testConnectionAction(target, new FormData(form));
            setResult(res.ok ? res.data : { ok: false, message: res.error });
          })
        }
      >
        {pending ? "Testing…" : "Test connection"}
      </button>
      {result && (
        <span role="status" data-testid={`${target}-test-result`} className={`text-sm ${result.ok ? "text-emerald-700" : "text-rose-700"}`}>
          {result.ok ? "✓ " : "✗ "}
          {result.message}
        </span>
      )}
    </div>
  );
}
