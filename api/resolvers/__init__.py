"""Resolver modules: each maps the GraphQL arguments of a group of fields to its use case in
``usecases/`` (of the same name where there is one) and the result back to ``api.types``.
``api.queries`` and ``api.mutations`` declare the fields and their rules and call these."""
