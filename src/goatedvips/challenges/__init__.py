"""Challenges: game challenges and the players' entries."""
