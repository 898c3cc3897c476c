-- DropTable
DROP TABLE "public"."token_usage";
