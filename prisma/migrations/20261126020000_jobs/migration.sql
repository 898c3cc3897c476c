-- CreateTable
CREATE TABLE "jobs" (
    "queue" VARCHAR(100) NOT NULL,
    "id" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "data" JSONB NOT NULL,
    "state" VARCHAR(20) NOT NULL DEFAULT 'waiting',
    "attempts_made" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL DEFAULT 1,
    "stalled_count" INTEGER NOT NULL DEFAULT 0,
    "run_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_by" UUID,
    "locked_until" TIMESTAMPTZ(6),
    "progress" INTEGER NOT NULL DEFAULT 0,
    "result" JSONB,
    "failed_reason" TEXT,
    "keep_completed_seconds" INTEGER,
    "keep_failed_seconds" INTEGER,
    "finished_at" TIMESTAMPTZ(6),
    "remove_after" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("queue","id")
);

-- CreateIndex
CREATE INDEX "jobs_queue_state_run_at_idx" ON "jobs"("queue", "state", "run_at");

-- CreateIndex
CREATE INDEX "jobs_remove_after_idx" ON "jobs"("remove_after");
