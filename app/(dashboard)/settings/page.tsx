import { requirePageUser } from "@/app/(dashboard)/page-user";
import { getSettings } from "@/lib/settings/get-settings";
import { toPublicSettings } from "@/lib/settings/public-settings";
import { managedProxyDefaults } from "@/lib/proxy/managed-caddy";
import { listApiTokens } from "@/lib/auth/tokens";
import { listUsers } from "@/lib/auth/users";
import { Card, PageHeader } from "@/components/ui/card";
import { GeneralForm } from "./general-form";
import { DnsForm } from "./dns-form";
import { ProxyForm } from "./proxy-form";
import { RegistriesForm } from "./registries-form";
import { TlsForm } from "./tls-form";
import { TokensSection } from "./tokens-section";
import { UsersSection } from "./users-section";
import { AccountSection } from "./account-section";
import { NotificationsSection } from "./notifications-section";
import { listChannels } from "@/lib/notifications/channels";
import { getPublicUrl } from "@/lib/notifications/public-url";
import { ServersSection, type ServerView } from "./servers-section";
import { listServers } from "@/lib/servers/servers";

export const dynamic = "force-dynamic";
export const metadata = { title: "Settings" };

export default async function SettingsPage() {
  const actor = await requirePageUser("viewer");
  const settings = toPublicSettings(await getSettings());
  const readOnly = actor.role !== "admin";
  // The first 200 of each; the full lists page through GET /api/tokens and /api/users.
  const [tokens, users] = readOnly ? [[], []] : await Promise.all([listApiTokens({ defaultLimit: 200 }).then((p) => p.items), listUsers({ defaultLimit: 200 }).then((p) => p.items)]);
  return (
    <>
      <PageHeader title="Settings" description={readOnly ? "Read-only: your role is viewer." : "Secrets are encrypted at rest and never shown again once saved."} />
      <div className="space-y-6">
        <Card title="General">
          <GeneralForm settings={settings} readOnly={readOnly} />
        </Card>
        <Card title="DNS">
          <p className="mb-4 text-sm text-slate-600">
            Installation id <code data-testid="installation-id">{settings.installationId}</code> (read-only; set <code>WHARF_INSTALLATION_ID</code> to override).
            It is part of every record marker, so another Wharf sharing the zone never changes this one&apos;s records.
          </p>
          <DnsForm settings={settings} readOnly={readOnly} />
        </Card>
        <Card title="Reverse proxy">
          <ProxyForm settings={settings} readOnly={readOnly} managedDefaults={managedProxyDefaults()} />
        </Card>
        <Card title="Image registries">
          <RegistriesForm settings={settings} readOnly={readOnly} />
        </Card>
        <Card title="TLS">
          <TlsForm settings={settings} readOnly={readOnly} />
        </Card>
        <Card title="Your account">
          <AccountSection email={actor.label} />
        </Card>
        {!readOnly && (
          <>
            <Card title="API tokens">
              <TokensSection tokens={tokens.map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null, expiresAt: t.expiresAt?.toISOString() ?? null }))} />
            </Card>
            <Card title="Notifications">
              <NotificationsSection
                channels={(await listChannels()).map((c) => ({ ...c, updatedAt: c.updatedAt.toISOString(), lastDeliveries: c.lastDeliveries.map((d) => ({ ...d, createdAt: d.createdAt.toISOString() })) }))}
                publicUrl={await getPublicUrl()}
              />
            </Card>
            <Card title="Servers">
              <ServersSection servers={JSON.parse(JSON.stringify(await listServers())) as ServerView[]} />
            </Card>
            <Card title="Users">
              <UsersSection users={users.map((u) => ({ ...u, createdAt: u.createdAt.toISOString() }))} currentUserId={actor.id} />
            </Card>
          </>
        )}
      </div>
    </>
  );
}
