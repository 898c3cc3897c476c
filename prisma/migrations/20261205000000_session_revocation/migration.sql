-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "revoked_at" TIMESTAMPTZ(6);

-- Sessions rotated before this migration were refused at once, as revoked ones are: keep them so.
UPDATE "sessions" SET "revoked_at" = "rotated_at" WHERE "rotated_at" IS NOT NULL;
