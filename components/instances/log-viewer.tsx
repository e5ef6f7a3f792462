"use client";
import { useEffect, useRef, useState } from "react";

/** Streams the container's log (GET /api/instances/{id}/logs?follow=1) as it is written. */
export function LogViewer({ instanceId }: { instanceId: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState<"connecting" | "streaming" | "ended" | "error">("connecting");
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      try {
        const res = await fetch(`/api/instances/${instanceId}/logs?follow=1&tail=300`, { signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        setState("streaming");
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let rest = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parts = (rest + value).split("\n");
          rest = parts.pop() ?? "";
          setLines((prev) => [...prev, ...parts].slice(-1000));
        }
        setState("ended");
      } catch {
        if (!controller.signal.aborted) setState("error");
      }
    })();
    return () => controller.abort();
  }, [instanceId]);
  useEffect(() => {
    box.current?.scrollTo({ top: box.current.scrollHeight });
  }, [lines]);
  return (
    <div>
      <p className="mb-2 text-xs text-slate-500">{state === "streaming" ? "Live" : state === "ended" ? "Container stopped: log ended" : state === "error" ? "Log unavailable" : "Connecting…"}</p>
      <pre ref={box} data-testid="container-logs" className="max-h-96 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100">
        {lines.length ? lines.join("\n") : "(no output yet)"}
      </pre>
    </div>
  );
}
