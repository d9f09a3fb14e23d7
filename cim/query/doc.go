// Package query parses WQL and DMTF:CQL queries and evaluates them against
// CIM instances: the filter of ExecQuery, of filtered enumerations and of
// indication subscriptions (CIM_IndicationFilter.Query).
//
// Both languages share one grammar, a subset of DSP0202 (CIM Query
// Language, "DMTF:CQL") that is also the usual subset of WMI's WQL
// (https://learn.microsoft.com/windows/win32/wmisdk/wql-sql-for-wmi):
//
//	SELECT * | prop [, prop ...] FROM Class [[AS] alias] [WHERE expr]
//
//	expr     = expr OR expr | expr AND expr | NOT expr | "(" expr ")"
//	         | operand op operand          op: = <> != < <= > >=
//	         | operand IS [NOT] NULL
//	         | operand ISA Class           Class: a name or a quoted name
//	         | operand [NOT] LIKE 'pattern'
//	operand  = literal | path
//	path     = seg { "." seg }             seg: [Class "::"] prop
//	literal  = 'string' | "string" | 42 | -7 | 0x1F | 1.5e3 | TRUE | FALSE | NULL
//
// Keywords and CIM names are case-insensitive. Strings take a doubled
// quote or a backslash escape (\\ \' \" \n \t \r \b \f). A path walks into
// embedded instances: SourceInstance.EnabledState is the EnabledState of
// the instance embedded in SourceInstance; a segment scoped Class::prop
// matches only when the instance it reads from is a Class, and is NULL
// otherwise (DSP0202's scoped property).
//
// The languages differ where their references do:
//
//   - An alias after the FROM class, alias- or class-qualified items in the
//     select list (cs.Name, cs.*) and alias- or class-qualified paths in
//     the WHERE clause (cs.Name, cs ISA CIM_System) are CQL only. In WQL
//     every dotted path reads embedded instances.
//   - Strings compare case-insensitively in WQL, as WMI does, and
//     case-sensitively in CQL (DSP0202). LIKE follows the same rule.
//
// Evaluation uses SQL's three-valued logic: a comparison with a NULL or
// missing property, between values of unrelated types (a string with a
// number) or with an operator the types do not order (booleans and
// references have only = and <>) is unknown, and an unknown condition
// does not match, negated or not. Unknown property names are not errors,
// since the class is not known when the query is parsed: they are NULL.
//
// Numbers compare by value across every integer width and the reals.
// Datetimes compare chronologically, with each other or with a string in
// CIM datetime format; a timestamp and an interval do not compare.
// References compare by their canonical path, with each other or with a
// string holding an object path. A char16 compares as a one-character
// string. Embedded instances do not compare; test them with IS NULL, ISA
// or a path into them.
//
// An array property matches a comparison with a scalar, LIKE or ISA when
// ANY of its elements does (so OperationalStatus = 2 holds for {2, 6}).
// Two arrays compare as wholes, and only with = and <>: equal when they
// have the same length and equal elements in order, so a change of an
// array property between PreviousInstance and SourceInstance is
// detected.
//
// LIKE patterns use % for any run of characters and _ for any one
// character, as SQL and WQL write them; a backslash makes the next
// character literal. The whole value must match.
//
// Not supported, deliberately: joins and more than one FROM class,
// array indexes (prop[2]), embedded-property paths in the select list,
// arithmetic and functions, ORDER BY, FIRST, DISTINCT, WQL's ASSOCIATORS
// OF / REFERENCES OF, WITHIN, GROUP and HAVING, LIKE character sets
// ([a-z]), binary literals, and following references to other instances
// (a path can step only into embedded instances). A predicate needs an
// operator: WHERE Enabled is an error, write WHERE Enabled = TRUE.
//
// Queries are limited to 64 KiB of text and 100 levels of nesting
// (parentheses and NOT), so hostile input cannot exhaust the stack.
package query
