import { createHash } from "node:crypto";
import { AppError } from "../errors";
import { sleep } from "./retry";

// Cloudflare's global limit is 1200 requests per five minutes per user,
// shared by all of that user's tokens, and once exceeded blocks every call
// for the next five minutes. Wharf cannot tell from a token whose it is, so
// the budget is one object per token, module-wide, shared by every Wharf
// code path (hooks, reconciler, settings page) that uses it; other tools (or
// another Wharf) spending the same user's requests are not counted, and the
// 429 they cause is handled by backing off (see README).

export interface BudgetOptions {
  limit: number;
  windowMs: number;
  /** Longest Wharf waits for budget before failing with RATE_LIMITED. */
  maxWaitMs: number;
}

export const CLOUDFLARE_BUDGET: BudgetOptions = { limit: 1200, windowMs: 5 * 60_000, maxWaitMs: 60_000 };

/** Sliding-window request budget: at most `limit` requests start within any `windowMs`. */
export class RequestBudget {
  private readonly starts: number[] = [];
  private blockedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(public opts: BudgetOptions) {}

  /** Resolves when one request may be sent now (and counts it); acquisitions are served in order. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The provider said stop (429): nobody using this token sends before `untilMs`. */
  block(untilMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, untilMs);
  }

  /** Requests counted in the current window. */
  get used(): number {
    this.prune(Date.now());
    return this.starts.length;
  }

  private prune(now: number): void {
    while (this.starts.length && this.starts[0] <= now - this.opts.windowMs) this.starts.shift();
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.prune(now);
      // A small margin: the provider counts a request when it arrives, a
      // little after Wharf counted it here.
      const margin = Math.min(250, Math.ceil(this.opts.windowMs * 0.05));
      const full = this.starts.length >= this.opts.limit ? this.starts[0] + this.opts.windowMs + margin - now : 0;
      const wait = Math.max(full, this.blockedUntil - now);
      if (wait <= 0) {
        this.starts.push(now);
        return;
      }
      if (wait > this.opts.maxWaitMs) {
        throw new AppError(
          "RATE_LIMITED",
          `Cloudflare request budget exhausted (${this.opts.limit} requests per ${Math.round(this.opts.windowMs / 1000)}s); retry in ${Math.ceil(wait / 1000)}s`,
          { details: { retryAfterMs: wait } },
        );
      }
      await sleep(wait);
    }
  }
}

const budgets = new Map<string, RequestBudget>();

export function tokenKey(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 24);
}

/** The budget shared by every client of this token; options given later update it. */
export function budgetForToken(token: string, opts: Partial<BudgetOptions> = {}): RequestBudget {
  const key = tokenKey(token);
  const merged = { ...CLOUDFLARE_BUDGET, ...opts };
  let budget = budgets.get(key);
  if (!budget) {
    budget = new RequestBudget(merged);
    budgets.set(key, budget);
  } else if (Object.keys(opts).length) {
    budget.opts = merged;
  }
  return budget;
}
