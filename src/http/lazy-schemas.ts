import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Factories = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type Validator = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };

/**
 * Fastify's own compilers (Ajv for what comes in, fast-json-stringify for what goes out), compiling each
 * route's schema when the route is first used rather than all of them at start-up. Compiling every schema
 * was a fifth of a start's CPU (0.3 s of 1.5 s, measured), paid by every process that starts (a restart,
 * `lanyard worker`, each command) for routes that process may never serve. What is compiled, and how
 * a request is checked, is the same.
 */
export function lazySchemaCompilers(): Factories {
  const buildValidator = AjvCompiler();
  const buildSerializer = SerializerSelector();
  return {
    buildValidator: (externalSchemas, options) => {
      const compilerFor = buildValidator(externalSchemas, options);
      return (route): ReturnType<typeof compilerFor> => {
        let validate: Validator | undefined;
        const lazy: Validator = (data, context) => {
          validate ??= compilerFor(route) as Validator;
          const valid = validate(data, context);
          // Fastify reads the errors of a failed check from the function it called.
          lazy.errors = validate.errors;
          return valid;
        };
        // An Ajv function is given its parent (Fastify tells it by this property), so that it may replace
        // the value it checks; passed on to the compiled function as Fastify would.
        lazy.schemaEnv = true;
        // Typed as Ajv's function, which it stands in for (Fastify uses only the call and its errors).
        return lazy as unknown as ReturnType<typeof compilerFor>;
      };
    },
    buildSerializer: (externalSchemas, options) => {
      const compilerFor = buildSerializer(externalSchemas, options);
      return (route) => {
        let serialize: ((data: unknown) => string) | undefined;
        return (data: unknown) => {
          serialize ??= compilerFor(route);
          return serialize(data);
        };
      };
    },
  };
}
