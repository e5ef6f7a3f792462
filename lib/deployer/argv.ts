import { join, split } from "shlex";

// The UI shows `command` / `entrypoint` as one line, split the way a POSIX
// shell splits words (quotes, backslashes) but WITHOUT a shell: no variable
// expansion, no globbing, `|` and `>` are plain characters. Docker gets the
// resulting array (exec form). shlex is a port of Python's shlex.

/** One line → argv; blank → null (the image's default). Throws with a readable message on an unclosed quote. */
export function splitArgv(line: string): string[] | null {
  let words: string[];
  try {
    words = split(line);
  } catch {
    throw new Error("has an unclosed quote");
  }
  return words.length ? words : null;
}

/** argv → the line splitArgv turns back into the same array (quoted where needed). */
export function joinArgv(argv: readonly string[] | null | undefined): string {
  return argv?.length ? join(argv) : "";
}
