/** JSON-serializable values: the type of every transformation state and optimizer state dict. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
