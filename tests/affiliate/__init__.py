"""Tests of the affiliate domain: the Goated API client, its simulator and the sync."""
