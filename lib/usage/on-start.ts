import { startUsageCollector } from "./collector";

export const usageCollectorOnStart = {
  name: "usage collector",
  run: async (): Promise<void> => {
    startUsageCollector();
  },
};
