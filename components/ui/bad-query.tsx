import Link from "next/link";

/** A list page's answer to a bad `limit`, `cursor`, `sort` or filter in its URL: the reason, and a way back. */
export function BadQuery({ error, basePath }: { error: Error; basePath: string }) {
  return (
    <div role="alert" className="rounded-lg border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800">
      {error.message} · <Link href={basePath} className="underline">Show the first page</Link>
    </div>
  );
}
