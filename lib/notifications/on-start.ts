import { startNotifier } from "./worker";

export const notifierOnStart = {
  name: "notifications",
  run: async (): Promise<void> => {
    startNotifier();
  },
};
