import { describe, expect, it } from "vitest";
import { LogLineSplitter, splitLogBuffer } from "./log-lines";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("log line splitting", () => {
  it("demultiplexes stdout and stderr frames into lines", () => {
    const buf = Buffer.concat([frame(1, "one\ntwo\n"), frame(2, "oops\n"), frame(1, "three")]);
    expect(splitLogBuffer(buf)).toEqual([
      { stream: "stdout", line: "one" },
      { stream: "stdout", line: "two" },
      { stream: "stderr", line: "oops" },
      { stream: "stdout", line: "three" },
    ]);
  });

  it("reassembles frames and lines split across chunks at any byte", () => {
    const buf = Buffer.concat([frame(1, "hello wörld\npart"), frame(2, "err\r\n"), frame(1, "ial\n")]);
    for (let cut = 1; cut < buf.length; cut++) {
      const s = new LogLineSplitter();
      const lines = [...s.push(buf.subarray(0, cut)), ...s.push(buf.subarray(cut)), ...s.flush()];
      expect(lines).toEqual([
        { stream: "stdout", line: "hello wörld" },
        { stream: "stderr", line: "err" },
        { stream: "stdout", line: "partial" },
      ]);
    }
  });

  it("passes a TTY container's raw log through as stdout", () => {
    expect(splitLogBuffer(Buffer.from("plain\ntext\n"))).toEqual([
      { stream: "stdout", line: "plain" },
      { stream: "stdout", line: "text" },
    ]);
    expect(splitLogBuffer(Buffer.from("ab"))).toEqual([{ stream: "stdout", line: "ab" }]);
  });

  it("yields nothing for an empty log", () => {
    expect(splitLogBuffer(Buffer.alloc(0))).toEqual([]);
  });
});
