import { pruneHistoryQuietly } from "./prune-history";

// Once at start-up (installs with the scheduler off and no cron still get
// pruned at every restart), then after every scheduled or cron sync.
export const retentionOnStart = {
  name: "history retention",
  run: async (): Promise<void> => {
    await pruneHistoryQuietly("startup");
  },
};
