// A company's registering authority (its market regulation bureau) was kept as `jurisdiction`;
// that name now means where a company is registered (ISO 3166-1 alpha-2, CN for a USCC), so the
// authority moves to `registrationAuthority`. The companies changed are sealed again by this
// file's audit entry (see graph/migrate.py).
MATCH (c:Company)
WHERE c.jurisdiction IS NOT NULL
SET c.registrationAuthority = c.jurisdiction
REMOVE c.jurisdiction
RETURN 'company' AS sealed, collect(c.uscc) AS keys
