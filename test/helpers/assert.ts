import { expect } from "vitest";
import { AppError } from "../../lib/errors";

/** The AppError a promise rejects with (the test fails if it resolves or rejects with something else). */
export async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}
