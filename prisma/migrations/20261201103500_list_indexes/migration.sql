-- Indexes for the paginated lists (issue 16): every list's filter and sort, each ending in id for keyset pages.
CREATE INDEX "User_createdAt_id_idx" ON "User"("createdAt", "id");
CREATE INDEX "ApiToken_revokedAt_createdAt_id_idx" ON "ApiToken"("revokedAt", "createdAt", "id");
CREATE INDEX "Instance_createdAt_id_idx" ON "Instance"("createdAt", "id");
CREATE INDEX "Instance_status_createdAt_id_idx" ON "Instance"("status", "createdAt", "id");
CREATE INDEX "Instance_image_id_idx" ON "Instance"("image", "id");
CREATE INDEX "StandaloneProxy_createdAt_id_idx" ON "StandaloneProxy"("createdAt", "id");
CREATE INDEX "StandaloneProxy_upstream_id_idx" ON "StandaloneProxy"("upstream", "id");
CREATE INDEX "StandaloneProxy_routeStatus_domain_idx" ON "StandaloneProxy"("routeStatus", "domain");
CREATE INDEX "dns_records_status_fqdn_idx" ON "dns_records"("status", "fqdn");
CREATE INDEX "SyncRun_startedAt_id_idx" ON "SyncRun"("startedAt", "id");
CREATE INDEX "SyncRun_trigger_startedAt_id_idx" ON "SyncRun"("trigger", "startedAt", "id");
CREATE INDEX "SyncRun_status_startedAt_id_idx" ON "SyncRun"("status", "startedAt", "id");
CREATE INDEX "AuditEvent_createdAt_id_idx" ON "AuditEvent"("createdAt", "id");
CREATE INDEX "AuditEvent_result_createdAt_id_idx" ON "AuditEvent"("result", "createdAt", "id");
CREATE INDEX "dns_records_consumerType_fqdn_idx" ON "dns_records"("consumerType", "fqdn");
CREATE INDEX "dns_records_consumerType_status_fqdn_idx" ON "dns_records"("consumerType", "status", "fqdn");
-- Lists show a run's one-line summary instead of loading its whole report.
ALTER TABLE "SyncRun" ADD COLUMN "summary" TEXT;
-- The dashboard's certificate warnings (failed, or issued and expiring soon) without a pass over every consumer.
CREATE INDEX "Instance_certStatus_certNotAfter_idx" ON "Instance"("certStatus", "certNotAfter");
CREATE INDEX "StandaloneProxy_certStatus_certNotAfter_idx" ON "StandaloneProxy"("certStatus", "certNotAfter");
