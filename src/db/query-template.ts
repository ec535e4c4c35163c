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

  /** `build` gets a function that names a slot; it returns a placeholder to pass wherever a value goes. */
  static compile<Row>(build: (slot: (name: string) => never) => Compilable<Row>): QueryTemplate<Row> {
    const compiled = build((name) => `${SLOT_PREFIX}${name}` as never).compile();
    const slots = compiled.parameters.map((parameter) => {
      if (typeof parameter !== 'string' || !parameter.startsWith(SLOT_PREFIX)) {
        throw new Error(`a query template holds a value that is not in a slot: ${JSON.stringify(parameter)}`);
      }
      const name = parameter.slice(SLOT_PREFIX.length);
      const dot = name.indexOf('.');
      return dot < 0 ? { group: undefined, key: name } : { group: name.slice(0, dot), key: name.slice(dot + 1) };
    });
    const keysPerGroup = new Map<string, number>();
    for (const name of new Set(slots.filter((s) => s.group !== undefined).map((s) => `${s.group}.${s.key}`))) {
      const group = name.slice(0, name.indexOf('.'));
      keysPerGroup.set(group, (keysPerGroup.get(group) ?? 0) + 1);
    }
    return new QueryTemplate(compiled, slots, keysPerGroup);
  }

  /** Placeholders for a whole row: `{ column: slot('group.column') }` for each column. */
  static rowOf<Column extends string>(slot: (name: string) => never, group: string, columns: readonly Column[]): Record<Column, never> {
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
      if (value === undefined) throw new Error(`no value for the slot ${group === undefined ? key : `${group}.${key}`}`);
      return value;
    });
    return { ...this.compiled, parameters };
  }
}
