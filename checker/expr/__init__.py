"""The condition language of rule packs (packs.md): lexer, parser, type checker and evaluator."""
