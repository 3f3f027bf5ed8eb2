ALTER TABLE "connections" ADD COLUMN "sandbox" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "link_oauth_states" ADD COLUMN "sandbox" boolean DEFAULT false NOT NULL;