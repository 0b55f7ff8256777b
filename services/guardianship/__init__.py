"""guardianship: the young person's support, from guardian to the 18+ transition."""
