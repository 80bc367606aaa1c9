"""Paid parking register."""
