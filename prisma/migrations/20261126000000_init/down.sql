-- DropForeignKey
ALTER TABLE "public"."sessions" DROP CONSTRAINT "sessions_user_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."conversations" DROP CONSTRAINT "conversations_user_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."messages" DROP CONSTRAINT "messages_conversation_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."tool_calls" DROP CONSTRAINT "tool_calls_message_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."webhooks" DROP CONSTRAINT "webhooks_user_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_webhook_id_fkey";

-- DropTable
DROP TABLE "public"."users";

-- DropTable
DROP TABLE "public"."sessions";

-- DropTable
DROP TABLE "public"."items";

-- DropTable
DROP TABLE "public"."conversations";

-- DropTable
DROP TABLE "public"."messages";

-- DropTable
DROP TABLE "public"."tool_calls";

-- DropTable
DROP TABLE "public"."webhooks";

-- DropTable
DROP TABLE "public"."webhook_deliveries";

-- DropTable
DROP TABLE "public"."outbox_events";

