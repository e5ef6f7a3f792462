import { startUpdateScheduler } from "./update-scheduler";

export const updateSchedulerOnStart = {
  name: "update scheduler",
  run: async (): Promise<void> => {
    startUpdateScheduler();
  },
};
