import { startScheduler } from "./scheduler";

export const syncSchedulerOnStart = {
  name: "sync scheduler",
  run: async (): Promise<void> => {
    startScheduler();
  },
};
