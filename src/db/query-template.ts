import type { Compilable, CompiledQuery } from 'kysely';

const SLOT_PREFIX = '\u0000slot:';

type SlotValues = Readonly<Record<string, unknown>>;

/**
 * A query built and compiled once with a named slot wherever a value goes; each run only puts its values
 * in the slots. Building and compiling a Kysely query costs about what running a point lookup does, and
 * the hot paths (sign-in) run the same few shapes over and over.
 *
 * A slot is named `key`, or `group.key` to take its value from an object of rows (`{ session: row }`).
 * Nothing is silently lost or frozen: a value written into the builder directly throws when the template
 * is compiled, a slot without a value throws, and so does a key of a group object that has no slot.
 */
export class QueryTemplate<Row = unknown> {
  private constructor(
    private readonly compiled: CompiledQuery<Row>,
    private readonly slots: readonly { group: string | undefined; key: string }[],
    private readonly keysPerGroup: ReadonlyMap<string, number>,
  ) {}

  /** The placeholder for a named slot, to pass wherever a value goes in a query given to `of`. */
  static slot(name: string): never {
    return `${SLOT_PREFIX}${name}` as never;
  }

  /** `build` gets `QueryTemplate.slot`, to name a slot wherever a value goes. */
  static compile<Row>(build: (slot: (name: string) => never) => Compilable<Row>): QueryTemplate<Row> {
    return QueryTemplate.of(build(QueryTemplate.slot));
  }

  /** A template of a query built with `QueryTemplate.slot` placeholders. */
  static of<Row>(query: Compilable<Row>): QueryTemplate<Row> {
    const compiled = query.compile();
    const slots = compiled.parameters.map((parameter) => {
      if (typeof parameter !== 'string' || !parameter.startsWith(SLOT_PREFIX)) {
        throw new Error(`a query template holds a value that is not in a slot: ${JSON.stringify(parameter)}`);
      }
      const name = parameter.slice(SLOT_PREFIX.length);
      const dot = name.indexOf('.');
      return dot < 0 ? { group: undefined, key: name } : { group: name.slice(0, dot), key: name.slice(dot + 1) };
    });
    const keysOfGroups = new Map<string, Set<string>>();
    for (const { group, key } of slots) {
      if (group !== undefined) keysOfGroups.set(group, (keysOfGroups.get(group) ?? new Set()).add(key));
    }
    return new QueryTemplate(compiled, slots, new Map([...keysOfGroups].map(([group, keys]) => [group, keys.size])));
  }

  /** Placeholders for a whole row: `{ column: slot('group.column') }` for each column. */
  static rowOf<Column extends string>(
    slot: (name: string) => never,
    group: string,
    columns: readonly Column[],
  ): Record<Column, never> {
    return Object.fromEntries(columns.map((column) => [column, slot(`${group}.${column}`)])) as Record<Column, never>;
  }

  /** The query with these values in its slots. */
  with(values: SlotValues): CompiledQuery<Row> {
    for (const [group, count] of this.keysPerGroup) {
      const row = values[group];
      if (row === null || typeof row !== 'object' || Object.keys(row).length !== count) {
        throw new Error(`the ${group} values do not match the template's ${count} slots`);
      }
    }
    const parameters = this.slots.map(({ group, key }) => {
      const value = group === undefined ? values[key] : (values[group] as SlotValues)[key];
      if (value === undefined)
        throw new Error(`no value for the slot ${group === undefined ? key : `${group}.${key}`}`);
      return value;
    });
    return { ...this.compiled, parameters };
  }
}
