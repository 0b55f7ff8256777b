"""intake: the reunification application, from residence permit to the parents' arrival."""
