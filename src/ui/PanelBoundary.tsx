/**
 * A render error in one panel shows in that panel, never as a blank page: without a boundary React
 * unmounts the whole tree, and a value stored in IndexedDB that makes a panel throw would then
 * blank the page at every later visit.
 */
import { Component, type ReactNode } from 'react';

/** Draws its children, or, once one of them threw while rendering, the error in their place. */
export class PanelBoundary extends Component<
  { title: string; children: ReactNode },
  { error: Error | null }
> {
  override state: { error: Error | null } = { error: null };

  /** React's hook for a child's render error: keep it, to show instead of the children. */
  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <section className="card panel-error" role="alert">
        <h2>{this.props.title}</h2>
        <p className="note error">
          This panel could not be drawn: {error.message}. The rest of the page works.{' '}
          <button type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </p>
      </section>
    );
  }
}
