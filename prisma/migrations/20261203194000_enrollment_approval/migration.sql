-- CreateEnum
CREATE TYPE "AgentApproval" AS ENUM ('approved', 'pending', 'rejected');

-- AlterTable
ALTER TABLE "EnrollmentToken" ADD COLUMN     "requiresApproval" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Agent" ADD COLUMN     "approval" "AgentApproval" NOT NULL DEFAULT 'approved',
ADD COLUMN     "approvalKeySha256" TEXT,
ADD COLUMN     "approvalRequestedAt" TIMESTAMP(3);

