// Next.js calls register() once when the server process starts.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // Before the first request: the login throttle keys on the socket's address.
    (await import("./lib/auth/peer-address")).installPeerAddress();
    const { startServer } = await import("./lib/server-start");
    try {
      await startServer();
    } catch (err) {
      // A server without its database (unwritable ./data, a failed migration) must not
      // keep answering 500s: exit so the restart policy and the logs show it.
      console.error("Wharf could not start:", err);
      process.exit(1);
    }
  }
}
