-- DropTable
DROP TABLE "public"."jobs";
