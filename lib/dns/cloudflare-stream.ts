import { JSONParser } from "@streamparser/json";
import { APIConnectionError } from "cloudflare";
import type { PageInfo } from "./cloudflare-client";

/**
 * One page of a Cloudflare list answer, parsed as its body streams in: each
 * element of `result` is handed to `keep` as soon as it is complete and only
 * what `keep` returns is held. A 100,000-record zone is one page of ~80 MB;
 * reading it whole (body buffers, their concatenation, the decoded text and
 * the SDK's full record objects at once) took a 100,000-consumer sync's
 * process from ~420 MB to over 800 MB for one listing.
 *
 * An error status has already been thrown by the SDK (as its APIError) when
 * the response arrives here; a body cut off, not JSON or not a successful
 * list answer is an APIConnectionError, which the caller retries like a lost
 * connection.
 */
export async function streamPage<T, U>(response: Response, keep: (item: T) => U): Promise<{ result: U[]; result_info?: PageInfo }> {
  const result: U[] = [];
  let info: PageInfo | undefined;
  let success: unknown;
  // keepStack false: a record's parent array is not filled as it goes, so parsed records become garbage at once.
  const parser = new JSONParser({ paths: ["$.success", "$.result.*", "$.result_info"], keepStack: false });
  parser.onValue = ({ value, key, stack }) => {
    if (stack.length === 2 && typeof key === "number") result.push(keep(value as T));
    else if (stack.length === 1 && key === "result_info") info = value as PageInfo;
    else if (stack.length === 1 && key === "success") success = value;
  };
  try {
    if (!response.body) throw new Error("empty body");
    await eachChunk(response.body, (chunk) => parser.write(chunk));
    if (!parser.isEnded) parser.end();
  } catch (err) {
    throw new APIConnectionError({ message: `Cloudflare list answer unreadable: ${err instanceof Error ? err.message : String(err)}`, cause: err instanceof Error ? err : undefined });
  }
  // A list answer always says success and carries its page info. Without them (`"result": null`, an
  // envelope of something else) it is not an empty zone: taken as one, the plan would forget every row.
  if (success !== true || !info) throw new APIConnectionError({ message: "Cloudflare list answer has no successful result" });
  return { result, result_info: info };
}

/**
 * Reads an answer whose body Wharf does not use (a batch answers every record
 * it wrote: ~3 MB for 3,500 changes, parsed into the SDK's objects and
 * dropped, 29 times in a 100,000-record sync) without decoding it. It is
 * read to the end so that the connection is reused; its status was checked
 * by the SDK before the response got here.
 */
export async function discardBody(response: Response): Promise<void> {
  if (response.body) await eachChunk(response.body, () => {});
}

async function eachChunk(body: ReadableStream<Uint8Array>, fn: (chunk: Uint8Array) => void): Promise<void> {
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    fn(value);
  }
}
