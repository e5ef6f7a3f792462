export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <span className="text-3xl font-bold tracking-tight text-sky-700">⚓ Wharf</span>
        </div>
        {children}
      </div>
    </main>
  );
}
