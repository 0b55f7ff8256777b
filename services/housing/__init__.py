"""housing: the family's home, the cohabitation duty and moves between municipalities."""
