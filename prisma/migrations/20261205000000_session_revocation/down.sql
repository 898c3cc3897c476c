-- AlterTable
ALTER TABLE "sessions" DROP COLUMN "revoked_at";
