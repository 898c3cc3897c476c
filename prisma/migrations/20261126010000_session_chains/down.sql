-- DropIndex
DROP INDEX "sessions_family_id_idx";

-- AlterTable
ALTER TABLE "sessions" DROP COLUMN "family_id",
DROP COLUMN "rotated_at";

