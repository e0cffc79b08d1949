-- AlterTable
ALTER TABLE "Agent" ADD COLUMN     "certKeySha256" TEXT;

