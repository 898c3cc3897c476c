-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "family_id" UUID,
ADD COLUMN     "rotated_at" TIMESTAMPTZ(6);

-- CreateIndex
CREATE INDEX "sessions_family_id_idx" ON "sessions"("family_id");

