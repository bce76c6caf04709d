"""Affiliate: the Goated API client, the simulator, the sync job and wager snapshots."""
