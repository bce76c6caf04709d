"""Wager races: races, participants, templates, leaderboards and tiers."""
