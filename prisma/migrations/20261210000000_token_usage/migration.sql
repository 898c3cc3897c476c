-- Tokens per user, UTC day and model, from the usage figures the model API reports (issue 18):
-- read by GET /usage and the daily token quota (AGENT_DAILY_TOKEN_QUOTA).
-- CreateTable
CREATE TABLE "token_usage" (
    "user_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "model" VARCHAR(100) NOT NULL,
    "prompt_tokens" BIGINT NOT NULL DEFAULT 0,
    "completion_tokens" BIGINT NOT NULL DEFAULT 0,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "token_usage_pkey" PRIMARY KEY ("user_id","day","model")
);

-- AddForeignKey
ALTER TABLE "token_usage" ADD CONSTRAINT "token_usage_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

