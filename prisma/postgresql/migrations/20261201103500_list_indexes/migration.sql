-- AlterTable
ALTER TABLE "SyncRun" ADD COLUMN     "summary" TEXT;

-- CreateIndex
CREATE INDEX "ApiToken_revokedAt_createdAt_id_idx" ON "ApiToken"("revokedAt", "createdAt", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_result_createdAt_id_idx" ON "AuditEvent"("result", "createdAt", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_createdAt_id_idx" ON "AuditEvent"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Instance_certStatus_certNotAfter_idx" ON "Instance"("certStatus", "certNotAfter");

-- CreateIndex
CREATE INDEX "Instance_image_id_idx" ON "Instance"("image", "id");

-- CreateIndex
CREATE INDEX "Instance_status_createdAt_id_idx" ON "Instance"("status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Instance_createdAt_id_idx" ON "Instance"("createdAt", "id");

-- CreateIndex
CREATE INDEX "StandaloneProxy_certStatus_certNotAfter_idx" ON "StandaloneProxy"("certStatus", "certNotAfter");

-- CreateIndex
CREATE INDEX "StandaloneProxy_routeStatus_domain_idx" ON "StandaloneProxy"("routeStatus", "domain");

-- CreateIndex
CREATE INDEX "StandaloneProxy_upstream_id_idx" ON "StandaloneProxy"("upstream", "id");

-- CreateIndex
CREATE INDEX "StandaloneProxy_createdAt_id_idx" ON "StandaloneProxy"("createdAt", "id");

-- CreateIndex
CREATE INDEX "SyncRun_status_startedAt_id_idx" ON "SyncRun"("status", "startedAt", "id");

-- CreateIndex
CREATE INDEX "SyncRun_trigger_startedAt_id_idx" ON "SyncRun"("trigger", "startedAt", "id");

-- CreateIndex
CREATE INDEX "SyncRun_startedAt_id_idx" ON "SyncRun"("startedAt", "id");

-- CreateIndex
CREATE INDEX "User_createdAt_id_idx" ON "User"("createdAt", "id");

-- CreateIndex
CREATE INDEX "dns_records_consumerType_status_fqdn_idx" ON "dns_records"("consumerType", "status", "fqdn");

-- CreateIndex
CREATE INDEX "dns_records_consumerType_fqdn_idx" ON "dns_records"("consumerType", "fqdn");

-- CreateIndex
CREATE INDEX "dns_records_status_fqdn_idx" ON "dns_records"("status", "fqdn");
