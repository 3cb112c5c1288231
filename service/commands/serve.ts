// Placeholder until the owning capability lands: says so and fails, never pretends to work.
import { CliError, type Command } from './command';

export const command: Command = {
  help: 'not implemented yet',
  async run() {
    throw new CliError('this command is not implemented yet');
  },
};
