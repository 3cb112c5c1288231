// settings.*: the user's security settings.
import { getSettings, updateSettings } from '../domain/settings';
import { router, userProcedure } from '../trpc';
import { SettingsSchema, SettingsUpdateInput } from '../api/settings';

export const settingsRouter = router({
  get: userProcedure.output(SettingsSchema).query(({ ctx }) => getSettings(ctx)),
  update: userProcedure
    .input(SettingsUpdateInput)
    .output(SettingsSchema)
    .mutation(({ ctx, input }) => updateSettings(ctx, input)),
});
