// auth.*: sign in (the only procedure without a session), sign out, and who am I.
import { login, logout, me } from '../domain/auth';
import { protectedProcedure, publicProcedure, router, userProcedure } from '../trpc';
import { LoginInput, LoginResultSchema, LogoutInput, MeSchema } from '../api/auth';
import { OkSchema } from '../api/common';

export const authRouter = router({
  login: publicProcedure
    .input(LoginInput)
    .output(LoginResultSchema)
    .mutation(({ ctx, input }) => login(ctx.deps, input, ctx.request)),
  logout: userProcedure
    .input(LogoutInput)
    .output(OkSchema)
    .mutation(({ ctx }) => logout({ deps: ctx.deps, caller: ctx.caller })),
  me: protectedProcedure
    .output(MeSchema)
    .query(({ ctx }) => me({ deps: ctx.deps, caller: ctx.caller })),
});
