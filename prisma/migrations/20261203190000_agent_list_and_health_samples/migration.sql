-- CreateTable
CREATE TABLE "AgentHealthSample" (
    "agentId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "cpuPercent" DOUBLE PRECISION NOT NULL,
    "rssBytes" BIGINT NOT NULL,
    "heapUsedBytes" BIGINT NOT NULL,
    "uptimeSec" DOUBLE PRECISION NOT NULL,
    "sinks" JSONB NOT NULL,
    "devices" JSONB NOT NULL,

    CONSTRAINT "AgentHealthSample_pkey" PRIMARY KEY ("agentId","at")
);

-- CreateIndex
CREATE INDEX "AgentHealthSample_at_idx" ON "AgentHealthSample"("at");

-- CreateIndex
CREATE INDEX "Agent_name_id_idx" ON "Agent"("name", "id");

-- AddForeignKey
ALTER TABLE "AgentHealthSample" ADD CONSTRAINT "AgentHealthSample_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
