import { useCallback, useMemo, useState } from 'react';
import { BrowserRouter, NavLink, Route, Routes } from 'react-router';
import { ActionIcon, AppShell, Badge, Button, Group, Text, Title, Tooltip, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { ApiClient } from './api/client';
import { ConsoleContext, type ConsoleContextValue } from './app/console-context';
import { NotFound } from './app/NotFound';
import { AgentPage } from './agent/AgentPage';
import { permissionsOf } from './auth/permissions';
import { SignIn } from './auth/SignIn';
import { clearSession, loadSession, type Session } from './auth/session';
import { FleetOverview } from './fleet/FleetOverview';
import { Provisioning } from './provisioning/Provisioning';

/** The console: sign-in, then the fleet, an agent's pages and provisioning. Everything goes through the public REST API. */
export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const queries = useQueryClient();
  const signOut = useCallback(() => {
    clearSession();
    setSession(null);
    queries.clear();
  }, [queries]);
  const context = useMemo<ConsoleContextValue | null>(
    () => (session ? { client: new ApiClient(session.token, undefined, undefined, signOut), user: session.user, ...permissionsOf(session.user.role) } : null),
    [session, signOut],
  );
  if (!context) return <SignIn onSignedIn={setSession} />;
  return (
    <ConsoleContext.Provider value={context}>
      <BrowserRouter>
        <AppShell header={{ height: 56 }} padding="md">
          <AppShell.Header>
            <Group h="100%" px="md" justify="space-between" wrap="nowrap">
              <Group gap="lg" wrap="nowrap">
                <Title order={3}>EdgeFleet</Title>
                <Group gap={4} component="nav" aria-label="Main">
                  <HeaderLink to="/" label="Fleet" />
                  <HeaderLink to="/provisioning" label="Provisioning" />
                </Group>
              </Group>
              <Group gap="sm" wrap="nowrap">
                <ThemeToggle />
                <Text size="sm" data-testid="user">
                  {context.user.username}
                </Text>
                <Badge variant="light" data-testid="role">
                  {context.user.role}
                </Badge>
                <Button variant="subtle" size="xs" onClick={signOut}>
                  Sign out
                </Button>
              </Group>
            </Group>
          </AppShell.Header>
          <AppShell.Main>
            <Routes>
              <Route path="/" element={<FleetOverview />} />
              <Route path="/agents/:id" element={<AgentPage />} />
              <Route path="/agents/:id/:tab" element={<AgentPage />} />
              <Route path="/provisioning" element={<Provisioning />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </AppShell.Main>
        </AppShell>
      </BrowserRouter>
    </ConsoleContext.Provider>
  );
}

function HeaderLink({ to, label }: { to: string; label: string }) {
  return (
    <NavLink to={to} end={to === '/'} style={{ textDecoration: 'none' }}>
      {({ isActive }) => (
        <Button component="span" size="xs" variant={isActive ? 'light' : 'subtle'}>
          {label}
        </Button>
      )}
    </NavLink>
  );
}

function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to the ${next} theme`}>
      <ActionIcon variant="subtle" aria-label={`Switch to the ${next} theme`} onClick={() => setColorScheme(next)}>
        {scheme === 'dark' ? '☀' : '☾'}
      </ActionIcon>
    </Tooltip>
  );
}
